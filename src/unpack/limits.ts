/**
 * Limits for reading a package tarball. Each one, when hit, becomes a finding rather than a crash:
 * a scanner that stops reading must say so, because a silent partial read looks like "clean".
 */
export interface UnpackLimits {
  /** Decompressed bytes we are willing to hold; npm's own registry rejects far smaller packages. */
  maxUnpackedBytes: number;
  /** Entries in the archive. The largest top-300 packages have ~10k files. */
  maxEntries: number;
  /** A single file above this is kept only as a prefix for the lexical scan. */
  maxKeptFileBytes: number;
  /** Decompressed/compressed ratio above which (and above 10 MB) the archive is called a bomb. */
  maxCompressionRatio: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = {
  maxUnpackedBytes: 256 * 1024 * 1024,
  maxEntries: 30_000,
  maxKeptFileBytes: 48 * 1024 * 1024,
  maxCompressionRatio: 100,
};

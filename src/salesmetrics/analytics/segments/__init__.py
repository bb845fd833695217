"""Customer segments: RFM scores and a segment table kept as data, movement between two
snapshots, and k-means clusters over behaviour features with profiles a service can put into
words. Arrays in, typed results out; no SQL, no files, no HTTP."""

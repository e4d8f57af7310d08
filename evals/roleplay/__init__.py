"""Role-played customers: a person or a model plays a benchmark task's customer against the real assistant
(`procall play`), and each played conversation is kept as one JSON file of a corpus (`transcripts/`) that
`procall play report` summarises. The corpus is data for developers; it is not shipped in the wheel."""

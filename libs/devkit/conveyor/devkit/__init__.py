"""Development kit: real local servers (Kafka, PostgreSQL) for tests, benchmarks and local runs."""

"""Local launcher for Kafka (KRaft), PostgreSQL and Redis."""

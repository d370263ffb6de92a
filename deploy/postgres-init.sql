-- Run once by the postgres image on an empty data directory (deploy/compose.yml).
-- The help desk's database is POSTGRES_DB; Rasa's tracker database is created here.
CREATE DATABASE privacy_tracker OWNER privacy;

-- The state database of DIBS-Fortnox lives beside Airflow's metadata database, never in it.
CREATE DATABASE dibs_fortnox OWNER airflow;

//! Test support: throwaway PostgreSQL servers and product fixtures.

//! PostgreSQL plain-format dump reader (COPY blocks).

"""The common layer under the log and the supply chain: messages, the clock, the database
connection, settings and the base error types. It imports nothing else of the project."""

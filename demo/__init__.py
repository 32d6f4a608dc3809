"""The demo season: a generated harvest of longan, pink bananas and hill chickens for `make run`,
the benchmarks and the tests."""

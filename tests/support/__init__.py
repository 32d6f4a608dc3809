"""What the tests share: the test supply chain, event builders, databases, ledgers, apps and the
tampering tools. Fixtures stay in the ``conftest.py`` modules and build on these."""

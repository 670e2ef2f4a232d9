"""`python -m node`: run the Rusty Coin node daemon (see node.daemon)."""

from node.daemon import main

if __name__ == "__main__":
    raise SystemExit(main())

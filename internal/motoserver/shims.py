"""Start moto's server with shims for gaps of moto 5.2.1.

Used only by tests and the deployment rehearsal (never by the stacks).
Each shim names the gap it fills.
"""
import sys

from moto.server import main

if __name__ == "__main__":
    sys.exit(main())

"""``make stack-check``: the provider on a production-shaped deployment, natively (scripts/stack/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.stack.check import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

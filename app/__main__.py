import sys

from app.main import main

# The guard matters: spawned worker processes import the parent's __main__ module.
if __name__ == "__main__":
    sys.exit(main())

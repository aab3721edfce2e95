"""PyInstaller's entry script: the frozen `copydesk` executable starts here.

app.main.main() calls multiprocessing.freeze_support() before anything else, so a
spawned worker (the bundle's executable re-run with multiprocessing's arguments)
becomes a worker and never reaches the command line. Only `sys` and `app.main`
(which itself imports only `multiprocessing` and `sys`) load before that call.
"""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())

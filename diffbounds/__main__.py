import sys

from diffbounds.cli import main

sys.exit(main())

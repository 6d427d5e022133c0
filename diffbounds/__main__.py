import sys

try:
    from diffbounds.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is still loading
    print("diffbounds: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())

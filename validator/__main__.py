"""`python -m validator`, same as the `validator` console script."""

from validator.cli import main

main()

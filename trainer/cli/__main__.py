"""`python -m trainer.cli`: the `delib` command, for launchers that run modules (`accelerate launch -m`)."""

from trainer.cli import main

if __name__ == "__main__":
    main()

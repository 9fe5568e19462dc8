"""Projects: `delib.toml` and the incremental build of the whole pipeline (`delib init`, `build`, `status`).

    project = load_project("delib.toml")
    status(project)      # [StageStatus("lint", "up to date", ...), StageStatus("generate", "stale", "changed: ...")]
    build(project)       # lint -> compile -> generate -> sft -> rl -> eval, skipping up-to-date stages

The state of the last build is `OUT/build.json` (`STATE_FILE`, `trainer.project._state`): per stage, the digest
of its inputs and a typed record of its outputs (`stages.rl.outputs.run` is the RL run folder).
"""

from trainer.project._state import STATE_FILE
from trainer.project.build import StageStatus, build, status
from trainer.project.config import PROJECT_FILE, STAGES, TEMPLATE, Project, ProjectError, load_project

__all__ = ["PROJECT_FILE", "STAGES", "STATE_FILE", "TEMPLATE", "Project", "ProjectError", "StageStatus", "build",
           "load_project", "status"]

"""The job process's entry point as it was before the engine was split into runtime/ and kinds/.

`python -m cnnlab.engine.job` still runs a job, so a Slurm job an older cnnlab queued starts
after an upgrade; everything else starts `cnnlab.engine.runtime.job`.
"""

import sys

from cnnlab.engine.runtime.job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

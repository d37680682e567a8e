from alembic import context

from conveyor.events.migrate import run_env
from conveyor.router.adapters.tables import metadata

run_env(context, metadata)

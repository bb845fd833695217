"""The only code that talks to a database: schema, migrations, repositories and the two clients."""

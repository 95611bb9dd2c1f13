FLASK_APP=app.cli:create_cli_app

from prefect_schedule_mcp.cli import main

raise SystemExit(main())

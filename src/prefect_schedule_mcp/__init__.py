"""prefect-schedule-mcp: an MCP server that schedules Prefect 3 work safely."""

__version__ = "0.1.0"

"""The resident's report flow (issue 3): steps, labels, area matching, summary, and its glue."""

from handlers.report.flow import prompt_current, start_report

__all__ = ["prompt_current", "start_report"]

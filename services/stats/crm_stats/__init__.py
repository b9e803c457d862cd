"""Stats: dashboard KPIs, DMO progress, funnel, speed to lead, event log, live ticker."""

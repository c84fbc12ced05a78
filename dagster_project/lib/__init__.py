"""Plain Python engines that define no Dagster object; defs/ wires them into assets."""

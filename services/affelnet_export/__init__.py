"""affelnet_export: delivers confirmed bonuses to Affelnet exactly once (R27–R30)."""

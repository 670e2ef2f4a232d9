"""Non-custodial web wallet: keys are made and used only in the browser."""

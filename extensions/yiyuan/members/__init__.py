"""Member rosters (会员名册): reading the files administrators upload, normalising what people
typed into them, and matching association names, before the importer writes anything."""

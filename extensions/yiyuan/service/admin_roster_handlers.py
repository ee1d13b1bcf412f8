"""(stub, filled in this session)"""

routes: list = []

from ninja import NinjaAPI

api = NinjaAPI(title="Loopdesk API", version="1", urls_namespace="api")

from django.urls import path

from .views import organisation, pipelines, products, reference, users

app_name = "administration"
urlpatterns = [
    path("", pipelines.settings_home, name="home"),
    path("logo/", organisation.organisation_logo, name="logo"),
    path("pipelines/", pipelines.pipelines, name="pipelines"),
    path("pipelines/<int:pk>/", pipelines.pipeline_detail, name="pipeline"),
    path("pipelines/<int:pk>/rename/", pipelines.pipeline_rename, name="pipeline_rename"),
    path("pipelines/<int:pk>/default/", pipelines.pipeline_set_default, name="pipeline_default"),
    path("pipelines/<int:pk>/archive/", pipelines.pipeline_archive, name="pipeline_archive"),
    path("pipelines/<int:pk>/reorder/", pipelines.pipeline_stages_reorder, name="stages_reorder"),
    path("pipelines/<int:pk>/stages/", pipelines.stage_create, name="stage_create"),
    path("stages/<int:pk>/", pipelines.stage_detail, name="stage"),
    path("stages/<int:pk>/delete/", pipelines.stage_delete, name="stage_delete"),
    path("stages/<int:pk>/steps/", pipelines.step_create, name="step_create"),
    path("stages/<int:pk>/steps/reorder/", pipelines.steps_reorder, name="steps_reorder"),
    path("stages/<int:pk>/requirements/", pipelines.requirement_create, name="requirement_create"),
    path("steps/<int:pk>/", pipelines.step_edit, name="step"),
    path("steps/<int:pk>/delete/", pipelines.step_delete, name="step_delete"),
    path("requirements/<int:pk>/delete/", pipelines.requirement_delete, name="requirement_delete"),
    path("lost-reasons/", reference.lost_reasons, name="lost_reasons"),
    path("lost-reasons/<int:pk>/", reference.lost_reason_edit, name="lost_reason"),
    path("lead-sources/", reference.lead_sources, name="lead_sources"),
    path("lead-sources/<int:pk>/", reference.lead_source_detail, name="lead_source"),
    path("lead-costs/<int:pk>/delete/", reference.lead_source_cost_delete, name="lead_cost_delete"),
    path("products/", products.products, name="products"),
    path("products/<int:pk>/", products.product_edit, name="product"),
    path("directions/", products.direction_create, name="direction_create"),
    path("directions/<int:pk>/", products.direction_edit, name="direction"),
    path("users/", users.users, name="users"),
    path("users/<int:pk>/", users.user_edit, name="user"),
    path("users/<int:pk>/active/", users.user_set_active, name="user_active"),
    path("departments/", users.departments, name="departments"),
    path("departments/<int:pk>/", users.department_edit, name="department"),
    path("organisation/", organisation.organisation, name="organisation"),
]

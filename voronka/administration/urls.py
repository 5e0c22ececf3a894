from django.urls import path

from . import views

app_name = "administration"
urlpatterns = [
    path("", views.settings_home, name="home"),
    path("logo/", views.organisation_logo, name="logo"),
    path("pipelines/", views.pipelines, name="pipelines"),
    path("pipelines/<int:pk>/", views.pipeline_detail, name="pipeline"),
    path("pipelines/<int:pk>/rename/", views.pipeline_rename, name="pipeline_rename"),
    path("pipelines/<int:pk>/default/", views.pipeline_set_default, name="pipeline_default"),
    path("pipelines/<int:pk>/archive/", views.pipeline_archive, name="pipeline_archive"),
    path("pipelines/<int:pk>/reorder/", views.pipeline_stages_reorder, name="stages_reorder"),
    path("pipelines/<int:pk>/stages/", views.stage_create, name="stage_create"),
    path("stages/<int:pk>/", views.stage_detail, name="stage"),
    path("stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("stages/<int:pk>/steps/", views.step_create, name="step_create"),
    path("stages/<int:pk>/steps/reorder/", views.steps_reorder, name="steps_reorder"),
    path("stages/<int:pk>/requirements/", views.requirement_create, name="requirement_create"),
    path("steps/<int:pk>/", views.step_edit, name="step"),
    path("steps/<int:pk>/delete/", views.step_delete, name="step_delete"),
    path("requirements/<int:pk>/delete/", views.requirement_delete, name="requirement_delete"),
    path("lost-reasons/", views.lost_reasons, name="lost_reasons"),
    path("lost-reasons/<int:pk>/", views.lost_reason_edit, name="lost_reason"),
    path("lead-sources/", views.lead_sources, name="lead_sources"),
    path("lead-sources/<int:pk>/", views.lead_source_detail, name="lead_source"),
    path("lead-costs/<int:pk>/delete/", views.lead_source_cost_delete, name="lead_cost_delete"),
    path("products/", views.products, name="products"),
    path("products/<int:pk>/", views.product_edit, name="product"),
    path("directions/", views.direction_create, name="direction_create"),
    path("directions/<int:pk>/", views.direction_edit, name="direction"),
    path("users/", views.users, name="users"),
    path("users/<int:pk>/", views.user_edit, name="user"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_active"),
    path("departments/", views.departments, name="departments"),
    path("departments/<int:pk>/", views.department_edit, name="department"),
    path("organisation/", views.organisation, name="organisation"),
]

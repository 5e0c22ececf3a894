"""Settings pages for administrators, one module per settings area.

Views parse input, call a service, and render. Every page except the logo is for
administrators only (others get 403). Invalid input is shown on the page with status 400;
a refused operation (DomainError) becomes a message, never a 500. The shared decorator and
form helpers live in `voronka.core.form_pages`.
"""

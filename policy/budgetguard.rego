# BudgetGuard's default policy. The gateway evaluates `data.budgetguard.decision` after authentication and
# cost estimation, before budget admission, with the input described in the README (DESIGN §5b), and expects
# {"allow": bool, "reasons": [string]}. Every rule is driven by bundle data (policy/data.json,
# under data.budgetguard_config) so operators change behaviour without touching Rego:
#   tenants.<id>.models             allow-list of model names; each also allows its dated snapshots
#                                   ("gpt-4o" allows "gpt-4o-2024-08-06", not "gpt-4o-mini")
#   tenants.<id>.max_tokens         ceiling on the output limit the client asks for (request.max_tokens;
#                                   defaults.max_tokens otherwise); a request that sets no limit is not refused by it
#                                   (request.reserved_output_tokens is what the gateway reserves for it)
#   tenants.<id>.streaming          false = streaming refused
#   tenants.<id>.allowed_hours_utc  [from, to): requests only in these UTC hours
#   deny_phrases                    phrases refused anywhere in the prompt text (case-insensitive)
package budgetguard

import rego.v1

default config := {}

config := data.budgetguard_config

tenant_config := object.get(object.get(config, "tenants", {}), input.tenant.id, {})

decision := {"allow": count(deny) == 0, "reasons": sort([r | some r in deny])}

# Model allow-list, per tenant. No list = every priced model. Model listings (no model) are not restricted.
deny contains msg if {
	allowed := tenant_config.models
	is_string(input.request.model)
	not model_allowed(input.request.model, allowed)
	msg := sprintf("model %s is not allowed for tenant %s", [input.request.model, input.tenant.id])
}

model_allowed(model, allowed) if model in allowed

# A dated snapshot of an allowed model: gpt-4.1-2025-04-14 or gpt-4-0613, but not gpt-4.1-mini.
model_allowed(model, allowed) if {
	some prefix in allowed
	dash := concat("", [prefix, "-"])
	startswith(model, dash)
	stamp := replace(trim_prefix(model, dash), "-", "")
	count(stamp) in {4, 8}
	trim(stamp, "0123456789") == ""
}

# A ceiling on the output a single request may ask for.
deny contains msg if {
	ceiling := object.get(tenant_config, "max_tokens", object.get(object.get(config, "defaults", {}), "max_tokens", null))
	ceiling != null
	is_number(input.request.max_tokens)
	input.request.max_tokens > ceiling
	msg := sprintf("max_tokens %d is above the ceiling of %d for tenant %s", [input.request.max_tokens, ceiling, input.tenant.id])
}

# Streaming can be switched off per tenant.
deny contains msg if {
	input.request.stream == true
	tenant_config.streaming == false
	msg := sprintf("streaming is disabled for tenant %s", [input.tenant.id])
}

# Office hours: requests only between allowed_hours_utc[0] (inclusive) and [1] (exclusive), UTC.
deny contains msg if {
	hours := tenant_config.allowed_hours_utc
	not within_hours(input.time.hour_utc, hours)
	msg := sprintf("tenant %s may call only between %02d:00 and %02d:00 UTC", [input.tenant.id, hours[0], hours[1]])
}

within_hours(hour, hours) if {
	hours[0] <= hours[1]
	hour >= hours[0]
	hour < hours[1]
}

# A window across midnight, such as [22, 6].
within_hours(hour, hours) if {
	hours[0] > hours[1]
	hour >= hours[0]
}

within_hours(hour, hours) if {
	hours[0] > hours[1]
	hour < hours[1]
}

# Prompt content: refuse text that contains a configured phrase (prompt-injection markers, leaked secrets).
# Phrases, not regular expressions: regex.match compiles its pattern on every evaluation inside wasm
# (~300 µs each), a plain search costs microseconds.
prompt_lower := lower(input.request.prompt_text)

deny contains msg if {
	some phrase in object.get(config, "deny_phrases", [])
	contains(prompt_lower, lower(phrase))
	msg := sprintf("the prompt contains the blocked phrase \"%s\"", [phrase])
}

package registry

// Rights as Altinn compares them (ALTINN-REFERENCE §1.1, Right.Compare): two
// rights are equal when their resources are equal. Altinn's documented
// request bodies name only the resource; our rights also carry an action,
// so an action, when given, narrows the match to that action.
//
// What a right without action grants (the rule the PDP applies, see
// pdp/rules.go): a stored right whose action is empty permits every action
// of its resource. A request, agent request or change request that names a
// resource without an action asks for exactly what the system's rights on
// that resource permit, no more: it is granted the system's rights on that
// resource (every action if the system holds the resource without action,
// else the system's listed actions).

// RightAmong decides whether want is among a system's rights, and what
// granting it means. It is the one place this is decided: requests, agent
// requests, change requests and system updates (duplicates) all call it.
//
//   - want without action: among when the system holds any right on the same
//     resource; grants are all of the system's rights on that resource.
//   - want with action: among when the system holds that resource with that
//     action or without action (every action); grants is want itself.
//
// grants is nil when ok is false.
func RightAmong(want Right, system []Right) (grants []Right, ok bool) {
	for _, h := range system {
		if h.Resource != want.Resource {
			continue
		}
		switch {
		case want.Action == "":
			grants = append(grants, h)
		case h.Action == want.Action || h.Action == "":
			return []Right{want}, true
		}
	}
	return grants, len(grants) > 0
}

// grantRights resolves every wanted right against the system's rights with
// RightAmong and returns what the grant holds, without duplicates.
// Errors: invalid RIGHTS_NOT_IN_SYSTEM (AUTH-00001).
func grantRights(want, system []Right) ([]Right, error) {
	var out []Right
	for _, w := range want {
		g, ok := RightAmong(w, system)
		if !ok {
			return nil, ErrRightsNotInSystem
		}
		out = append(out, g...)
	}
	return dedupe(out), nil
}

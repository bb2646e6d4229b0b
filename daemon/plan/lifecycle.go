package plan

// awaitingAgent reports whether some agent is unreachable but not gone. Offers are wanted then
// (declined with the idle refuse filter by the agents that answer), so that when the agent
// returns its first offer reaches MatchOffers: a node replaced while it was away left its old
// reservation and volume there, and only an offer lets the planner destroy and unreserve them.
// A suppressed framework would never hear of them again.
func (ps *pass) awaitingAgent() bool {
	for _, a := range ps.s.Agents {
		if !a.Reachable && !a.Gone {
			return true
		}
	}
	return false
}

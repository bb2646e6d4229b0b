package placement

// Place serves requests from offers. Requests are served in the order given (the planner orders
// them: seeds first, then by ordinal); for each, the feasible agent ranked best is chosen and its
// remaining resources shrink by what the match uses, so one agent may serve several requests of
// different groups when their static ports do not overlap. Several matches on one agent share
// the same OfferIDs: the caller must fold them into one ACCEPT.
//
// placed lists the nodes already on agents (for one-node-per-agent and spreading).
func Place(offers []Offer, reqs []Request, placed []Placed) Result {
	return match(offers, reqs, placed)
}

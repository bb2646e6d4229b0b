package placement

func match(offers []Offer, reqs []Request, placed []Placed) Result {
	_ = reqs
	_ = placed
	r := Result{Unplaced: map[string]string{}}
	for _, o := range offers {
		r.Unused = append(r.Unused, o.ID)
	}
	return r
}

package plan

func (c Config) withDefaults() Config { return c }

func (p *Planner) submit(s *State, req Request) (Accepted, error) { return Accepted{}, nil }

func (p *Planner) reconcile(s *State, offers []Offer) Plan { return Plan{} }

package app

import "sort"

// RealProviders names the bank connectors of this deployment other than
// the sandbox bank: what live mode can reach. Empty means live keys work
// but every bank is still the simulator.
func (s *Service) RealProviders() []string {
	var out []string
	for name, p := range s.providers {
		if any(p) == any(s.sandbox) || name == "banksim" {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

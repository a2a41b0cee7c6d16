package simulator

import (
	"context"
	"errors"
	"sort"
	"sync"
)

// Person is someone who can use the dev login (ID-porten stand-in).
type Person struct {
	PID  string `json:"pid"`
	Name string `json:"name"`
}

// PersonStore lists the persons the dev login offers.
type PersonStore interface {
	// Get returns ErrPersonNotFound when no person has the pid.
	Get(ctx context.Context, pid string) (Person, error)
	List(ctx context.Context) ([]Person, error)
}

var ErrPersonNotFound = errors.New("simulator: person not found")

// MemoryPersonStore is a PersonStore in memory.
type MemoryPersonStore struct {
	mu      sync.RWMutex
	persons map[string]Person
}

func NewMemoryPersonStore(persons ...Person) *MemoryPersonStore {
	s := &MemoryPersonStore{persons: map[string]Person{}}
	for _, p := range persons {
		s.Put(p)
	}
	return s
}

// Put adds or replaces a person.
func (s *MemoryPersonStore) Put(p Person) {
	s.mu.Lock()
	s.persons[p.PID] = p
	s.mu.Unlock()
}

func (s *MemoryPersonStore) Get(_ context.Context, pid string) (Person, error) {
	s.mu.RLock()
	p, ok := s.persons[pid]
	s.mu.RUnlock()
	if !ok {
		return Person{}, ErrPersonNotFound
	}
	return p, nil
}

func (s *MemoryPersonStore) List(_ context.Context) ([]Person, error) {
	s.mu.RLock()
	out := make([]Person, 0, len(s.persons))
	for _, p := range s.persons {
		out = append(out, p)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

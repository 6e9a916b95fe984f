package svc

import (
	"encoding/json"
	"fmt"

	"github.com/natsactor/natsactor/conn"
)

// monitorSubjects returns the three subjects a service answers verb on: for all services,
// for its name, and for its name and id.
func (s *Service) monitorSubjects(verb string) []string {
	all := s.prefix + "." + verb
	return []string{all, all + "." + s.cfg.Name, all + "." + s.cfg.Name + "." + s.id}
}

// startMonitoring subscribes to $SRV.PING, $SRV.INFO and $SRV.STATS at their three levels.
// These are plain subscriptions: every instance answers.
func (s *Service) startMonitoring() error {
	handlers := []struct {
		verb string
		h    func(*conn.Msg)
	}{
		{VerbPing, s.handlePing},
		{VerbInfo, s.handleInfo},
		{VerbStats, s.handleStats},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range handlers {
		for _, subj := range s.monitorSubjects(v.verb) {
			sub, err := s.c.Subscribe(subj, conn.WithHandler(v.h))
			if err != nil {
				return fmt.Errorf("nats: service %s: subscribe %s: %w", s.cfg.Name, subj, err)
			}
			s.monitors = append(s.monitors, sub)
		}
	}
	return nil
}

func (s *Service) pingJSON() []byte {
	b, err := json.Marshal(PingResponse{Identity: s.identity(TypePingResponse)})
	if err != nil { // a struct of strings always encodes
		panic(err)
	}
	return b
}

func (s *Service) handlePing(m *conn.Msg) { s.answer(m, s.ping) }

func (s *Service) handleInfo(m *conn.Msg) { s.answerJSON(m, s.Info()) }

func (s *Service) handleStats(m *conn.Msg) { s.answerJSON(m, s.Stats()) }

func (s *Service) answerJSON(m *conn.Msg, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.reportError(fmt.Errorf("nats: service %s: answer on %s: %w", s.cfg.Name, m.Subject, err))
		return
	}
	s.answer(m, b)
}

func (s *Service) answer(m *conn.Msg, b []byte) {
	if m.Reply == "" {
		return
	}
	if err := m.Respond(b); err != nil {
		s.reportError(fmt.Errorf("nats: service %s: answer on %s: %w", s.cfg.Name, m.Subject, err))
	}
}

package console

import (
	"net/http"
	"net/url"
	"strings"
)

// keyCookie keeps the key a browser gave once (the login form or ?key=),
// so the links of the pages need not carry it.
const keyCookie = "batchinfer_console_key"

// auth shows nothing without a valid key when keys are set: the
// x-api-key header, ?key= (remembered in a cookie), the cookie, or the
// login form; anything else gets the form alone.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Keys == nil {
			if r.URL.Path == "/login" {
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/login" {
			s.login(w, r)
			return
		}
		key := r.Header.Get("x-api-key")
		if q := r.URL.Query().Get("key"); q != "" {
			key = q
		} else if c, err := r.Cookie(keyCookie); err == nil && key == "" {
			key = c.Value
		}
		if _, ok := s.Keys.Match(key); !ok {
			s.loginForm(w, r.URL.RequestURI(), key != "")
			return
		}
		if r.URL.Query().Get("key") != "" {
			setKey(w, key)
		}
		next.ServeHTTP(w, r)
	})
}

type loginPage struct {
	Next  string
	Wrong bool
}

// loginForm answers 403 with a form asking for the key; next is where a
// right key leads.
func (s *Server) loginForm(w http.ResponseWriter, next string, wrong bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	if err := pages.ExecuteTemplate(w, "login.html", loginPage{Next: stripKey(next), Wrong: wrong}); err != nil {
		s.logger().Error("render the login form", "err", err)
	}
}

// login checks the form's key (api.KeySet compares in constant time)
// and, when it is one, remembers it and goes on to the page asked for.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	next := r.PostFormValue("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/" // only a page of the console, never elsewhere
	}
	key := r.PostFormValue("key")
	if _, ok := s.Keys.Match(key); !ok {
		s.loginForm(w, next, true)
		return
	}
	setKey(w, key)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func setKey(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: keyCookie, Value: key, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// stripKey drops a wrong ?key= from the page the form leads back to.
func stripKey(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Del("key")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

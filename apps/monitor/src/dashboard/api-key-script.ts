// The dashboard pages' API key handling (docs/reliability.md "Access"). With API keys configured,
// every /api/* call of a page needs a read key: the first 401 asks for it once (window.prompt), keeps
// it in the `storepulse_key` cookie (SameSite=Strict, this origin only, the browser session only) and
// reloads; fetch and EventSource then send it by themselves. The guard honours the cookie for GET and
// HEAD only, so a cookie can never authorise an admin action. Without keys configured nothing
// answers 401 and this script does nothing. No template literals or backslashes (embedded as is).
export const API_KEY_SCRIPT = `<script data-part="api-key">
(function () {
  var asked = false;
  var plain = window.fetch.bind(window);
  window.fetch = function (input, init) {
    return plain(input, init).then(function (r) {
      var url = typeof input === 'string' ? input : (input && input.url) || '';
      if (r.status === 401 && !asked && url.indexOf('/api/') >= 0) {
        asked = true;
        var key = window.prompt('This StorePulse API needs a key (API_READ_KEYS or API_ADMIN_KEYS). Key:');
        if (key && key.trim() !== '') {
          document.cookie = 'storepulse_key=' + encodeURIComponent(key.trim()) + '; Path=/; SameSite=Strict' +
            (location.protocol === 'https:' ? '; Secure' : '');
          location.reload();
        }
      }
      return r;
    });
  };
})();
</script>`;

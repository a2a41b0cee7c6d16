// Starts GraphiQL from a file rather than an inline script so that the page's
// Content-Security-Policy can forbid inline scripts. The endpoints come from
// data attributes that the Go handler fills in.
(function () {
  'use strict';
  var container = document.getElementById('graphiql');
  var base = window.location.href;

  var options = {url: new URL(container.dataset.endpoint, base).href};
  var subscriptions = container.dataset.subscriptionEndpoint;
  if (subscriptions) {
    // graphql-ws needs an absolute ws(s) URL; derive it from the page's origin
    // so that the same page works behind any host name or port mapping.
    var ws = new URL(subscriptions, base);
    if (ws.protocol === 'http:') {
      ws.protocol = 'ws:';
    } else if (ws.protocol === 'https:') {
      ws.protocol = 'wss:';
    }
    options.subscriptionUrl = ws.href;
  }

  var fetcher = GraphiQL.createFetcher(options);
  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {fetcher: fetcher})
  );
})();

// Runs before anything else on the page: every script error, rejected promise, blocked load (the
// page's content security policy forbids all network access) and console.error/console.warn is
// written into the element #errors, which is shown when not empty. The browser test reads it.
(function () {
  'use strict';
  var box = document.getElementById('errors');
  function show(text) {
    box.hidden = false;
    box.textContent += text + '\n';
  }
  window.cascadeReportError = show;
  window.addEventListener('error', function (event) {
    var where = event.filename ? ' (' + event.filename + ':' + event.lineno + ')' : '';
    show('error: ' + event.message + where);
  });
  window.addEventListener('unhandledrejection', function (event) {
    show('unhandled rejection: ' + event.reason);
  });
  document.addEventListener('securitypolicyviolation', function (event) {
    show('blocked by the page\'s content security policy: ' + event.violatedDirective + ' ' +
      event.blockedURI);
  });
  ['error', 'warn'].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      show('console.' + level + ': ' + Array.prototype.map.call(arguments, String).join(' '));
      return original.apply(console, arguments);
    };
  });
})();

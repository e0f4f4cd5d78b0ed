// The console's few lines of script: the camera reader on the scan page (html5-qrcode, loaded
// on first use). Everything else is plain forms, enhanced by htmx.
(function () {
  var library = document.currentScript && document.currentScript.dataset.cameraLibrary;

  function load(src, done) {
    if (window.Html5Qrcode) { return done(); }
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    document.head.appendChild(script);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-camera]");
    if (!button) { return; }
    var box = document.querySelector(button.dataset.camera);
    var input = document.querySelector(button.dataset.fill);
    box.hidden = false;
    load(library, function () {
      var reader = new window.Html5Qrcode(box.id);
      reader.start({ facingMode: "environment" }, { fps: 10, qrbox: 250 }, function (text) {
        reader.stop();
        box.hidden = true;
        input.value = text;
        input.form.requestSubmit();
      }).catch(function (error) { box.hidden = true; window.alert(error); });
    });
  });
})();
